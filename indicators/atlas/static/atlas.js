/* Sozialatlas: recolours the map per year and searches the areas. Reads only the data
   embedded in the page (script.atlas-daten); loads nothing. */
(function () {
  "use strict";
  var block = document.querySelector("script.atlas-daten");
  if (!block) { return; }
  var daten = JSON.parse(block.textContent);
  var zahl = function (x) {
    return x.toLocaleString("de-DE", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  };
  var text = function (zelle, einheit) {
    if (!zelle) { return "kein Wert"; }
    if (zelle.gesperrt) { return "gesperrt"; }
    var t = zahl(zelle.wert) + "\u00a0" + einheit;
    if (zelle.ki_unten !== null && zelle.ki_oben !== null) {
      t += " (" + zahl(zelle.ki_unten) + "–" + zahl(zelle.ki_oben) + ")";
    }
    return t;
  };

  var auswahl = document.getElementById("jahr");
  if (auswahl && daten.werte) {
    var werte = daten.werte[daten.indikator] || {};
    var faerben = function () {
      var jahr = auswahl.value;
      document.querySelectorAll("svg.karte path[data-gebiet]").forEach(function (pfad) {
        var gebiet = pfad.getAttribute("data-gebiet");
        var zelle = (werte[gebiet] || {})[jahr] || null;
        var farbe = "#d4d4d4";
        if (zelle && zelle.gesperrt) { farbe = "url(#gesperrt-muster)"; }
        else if (zelle && zelle.klasse !== null && zelle.klasse !== undefined) {
          farbe = daten.klassen.farben[zelle.klasse];
        }
        pfad.setAttribute("fill", farbe);
        var titel = pfad.querySelector("title");
        if (titel) { titel.textContent = (daten.namen[gebiet] || gebiet) + ": " + text(zelle, daten.einheit); }
      });
      var kopf = document.getElementById("kartenjahr");
      if (kopf) { kopf.textContent = kopf.textContent.replace(/\d{4}$/, jahr); }
    };
    auswahl.addEventListener("change", faerben);
  }

  var suche = document.getElementById("gebietssuche");
  if (suche && daten.gebiete) {
    var liste = document.getElementById("gebietsliste");
    var treffer = document.getElementById("treffer");
    var klein = function (s) { return s.toLocaleLowerCase("de-DE"); };
    var filtern = function () {
      var q = klein(suche.value.trim());
      var n = 0;
      daten.gebiete.forEach(function (g) {
        var passt = !q || klein(g.name).indexOf(q) >= 0 || klein(g.pfad).indexOf(q) >= 0 || klein(g.id).indexOf(q) >= 0;
        var eintrag = liste.querySelector('li[data-gebiet="' + g.id.replace(/"/g, '\\"') + '"]');
        if (eintrag) { eintrag.hidden = !passt; }
        if (passt) { n += 1; }
      });
      treffer.textContent = q ? n + (n === 1 ? " Gebiet gefunden" : " Gebiete gefunden") : "";
    };
    suche.addEventListener("input", filtern);
  }
}());
