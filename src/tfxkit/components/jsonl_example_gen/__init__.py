"""JsonlExampleGen: JSON lines files (one object per line, its fields the columns) to split
tf.Examples, with one clear error naming the file and line of a broken line."""
