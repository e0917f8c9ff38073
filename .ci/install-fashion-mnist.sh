#!/usr/bin/env bash
# Install Debian's dataset-fashion-mnist (gzipped IDX files under /usr/share/datasets/fashion-mnist)
# when it is missing, as .ci/start-mariadb.sh installs mariadb-server. Used by
# `make fashion-mnist-data`. Exit 0: the files are there; 1: they are not (said why, on stderr).
set -uo pipefail
DIR=/usr/share/datasets/fashion-mnist
PACKAGE=dataset-fashion-mnist
[ -f "$DIR/train-images-idx3-ubyte.gz" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing $PACKAGE ..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PACKAGE" >&2
fi
[ -f "$DIR/train-images-idx3-ubyte.gz" ] && exit 0
echo "Fashion-MNIST is not installed: it comes from Debian's '$PACKAGE' package" \
     "(files under $DIR), which needs apt-get as root (sudo apt-get install -y $PACKAGE)," \
     "or give the gzipped IDX files with: python -m tfxkit.datasets.fashion_mnist OUT --source DIR" >&2
exit 1
