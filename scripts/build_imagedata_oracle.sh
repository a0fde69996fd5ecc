#!/usr/bin/env bash
# Give the Caffe oracle its ImageData and WindowData layers: ../shared/caffe-oracle builds BVLC
# Caffe without OpenCV, and those layers (src/caffe/layers/image_data_layer.cpp,
# window_data_layer.cpp) are compiled only with USE_OPENCV. This compiles them, with the OpenCV
# halves of data_transformer.cpp and util/io.cpp, from the oracle's own unpacked source into a
# plug-in library linked to the oracle's libcaffe, and links construct_net against it: the same
# Caffe, plus ImageData and WindowData.
#
# Usage: build_imagedata_oracle.sh [ORACLE_PREFIX [OUT]]
#   ORACLE_PREFIX: what ../shared/caffe-oracle/build.sh printed (default: its default prefix)
#   OUT: default ${XDG_CACHE_HOME:-~/.cache}/prototxt-lint/caffe-imagedata/9b891540
# Prints OUT on its last line; OUT/bin/construct_net takes the same arguments as the oracle's.
# Needs Debian's libopencv-{core,imgproc,imgcodecs}-dev (installed when missing, as root) and
# about a minute on 2 cores. Idempotent: a finished build is reused at once.
#
# OpenCV 4 has no highgui in those packages and no CV_LOAD_IMAGE_* in its C++ headers; the two
# headers io.cpp includes for them are given as shims that include imgcodecs (where imread and
# the legacy constants live). Nothing in Caffe's source is changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}
oracle=${1:-$cache/caffe-oracle/9b891540}
out=${2:-$cache/prototxt-lint/caffe-imagedata/9b891540}
if [ -x "$out/bin/construct_net" ]; then echo "$out"; exit 0; fi
src="$oracle/caffe-9b891540"
b="$src/build"
test -f "$b/lib/libcaffe.so.1.0.0" || { echo "no oracle build at $oracle (run ../shared/caffe-oracle/build.sh)" >&2; exit 2; }
construct="$here/../shared/caffe-oracle/construct_net.cpp"
test -f "$construct" || { echo "no $construct" >&2; exit 2; }

pkgs="libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev"
missing=""; for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
fi

tmp="$out.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp/bin" "$tmp/lib" "$tmp/shim/opencv2/highgui"
printf '#include <opencv2/imgcodecs.hpp>\n' > "$tmp/shim/opencv2/highgui/highgui.hpp"
printf '#include <opencv2/imgcodecs/legacy/constants_c.h>\n' > "$tmp/shim/opencv2/highgui/highgui_c.h"
flags=(-O2 -std=gnu++14 -DCPU_ONLY -DUSE_HDF5 -DUSE_LMDB -DUSE_OPENCV -I"$b/include" -I"$src/include"
       -isystem /usr/include/hdf5/serial -isystem /usr/include/opencv4 -isystem "$tmp/shim")
g++ "${flags[@]}" -shared -fPIC "$src/src/caffe/layers/image_data_layer.cpp" \
    "$src/src/caffe/layers/window_data_layer.cpp" "$src/src/caffe/data_transformer.cpp" \
    "$src/src/caffe/util/io.cpp" -o "$tmp/lib/libcaffe_imagedata.so" \
    -Wl,-soname,libcaffe_imagedata.so -Wl,-rpath,"$b/lib" "$b/lib/libcaffe.so.1.0.0" -lopencv_core -lopencv_imgproc -lopencv_imgcodecs \
    -lglog -lprotobuf -lboost_system >&2
# --no-as-needed: construct_net calls nothing in the plug-in; it is linked for the static
# REGISTER_LAYER_CLASS(ImageData) and (WindowData) that run when it loads.
g++ "${flags[@]}" "$construct" -o "$tmp/bin/construct_net" \
    -Wl,-rpath,"$out/lib" -Wl,-rpath,"$b/lib" -Wl,--no-as-needed "$tmp/lib/libcaffe_imagedata.so" \
    -Wl,--as-needed "$b/lib/libcaffe.so.1.0.0" "$b/lib/libcaffeproto.a" -lboost_system -lglog -lgflags -lprotobuf >&2
rm -rf "$tmp/shim"
rc=0; LD_LIBRARY_PATH="$tmp/lib" "$tmp/bin/construct_net" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { echo "construct_net does not run (exit $rc)" >&2; exit 1; }  # 2: usage
rm -rf "$out"; mkdir -p "$(dirname "$out")"; mv "$tmp" "$out"
echo "$out"
