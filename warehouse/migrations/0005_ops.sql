-- Operations: writers take turns batch by batch, so a job's load no longer proves that no
-- other job runs. Each load names the process that runs it ('host:pid'), and only a load
-- whose process is gone is marked 'aborted' by the next load.
ALTER TABLE _loads ADD COLUMN owner VARCHAR;
