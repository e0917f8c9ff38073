"""ParquetExampleGen: Parquet files to split tf.Examples, column by column in Arrow (nulls and
NaN are missing; zeros stay zeros)."""
