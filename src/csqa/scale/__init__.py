"""Scale: DataFrame layouts of calls and reports, and scoring them with Spark, Dask or a local lake."""
