"""TextFolderExampleGen: a folder of .txt files, one sub-folder per class, to split tf.Examples
holding the text, the label (the folder's name) and the file's relative path."""
