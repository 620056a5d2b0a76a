-- One view per table of the packages over the partitions of every municipality; {files} is
-- the glob of the table's partition files. ags is a column of the files, not read from the
-- folder name, so it keeps its leading zero.
CREATE VIEW pakete.{table} AS
SELECT * FROM read_parquet({files}, union_by_name = true, hive_partitioning = false);
