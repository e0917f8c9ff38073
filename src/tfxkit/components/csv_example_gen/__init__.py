"""CsvExampleGen: CSV files read with the configured dialect (data.csv) into split tf.Examples."""
