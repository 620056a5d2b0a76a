-- One view per table of the packages over the partitions of every municipality, with the
-- columns of the newest package format: {columns} names them, NULL for a column that no
-- partition has (packages of an older format only); {source} reads the partition files of the
-- table (union_by_name: a partition of an older format lacks a column, which is then NULL), or
-- no row where no package has the table yet. ags is a column of the files, not read from the
-- folder name, so it keeps its leading zero.
CREATE VIEW pakete.{table} AS
SELECT {columns} FROM {source};
