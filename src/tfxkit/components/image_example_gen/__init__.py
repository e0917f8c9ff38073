"""ImageExampleGen: a folder of images, one sub-folder per class, to split tf.Examples holding
the encoded bytes, the label (the folder's name) and the file's relative path."""
