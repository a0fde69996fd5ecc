// cpp_parse: the C++ baseline of the benchmarks, protobuf's own text parser (the one Caffe
// reads prototxt files with) filling caffe::NetParameter or caffe::SolverParameter.
//
// Usage: cpp_parse REPEAT KIND:FILE...   (KIND: N for NetParameter, S for SolverParameter)
//
// For each file: read it once, then parse it REPEAT times with
// google::protobuf::TextFormat::Parse from an ArrayInputStream (what Caffe's
// ReadProtoFromTextFile does from a FileInputStream), and print
// "best_ns<TAB>ok<TAB>file", ok being 1 when the parse succeeded (protobuf logs the error of
// a failed parse to stderr). REPEAT 1 is one parse per file, for timing a whole process.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include "caffe/proto/caffe.pb.h"

namespace {

bool ParseOnce(const std::string& text, char kind) {
  std::unique_ptr<google::protobuf::Message> msg;
  if (kind == 'S') {
    msg.reset(new caffe::SolverParameter());
  } else {
    msg.reset(new caffe::NetParameter());
  }
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  return google::protobuf::TextFormat::Parse(&input, msg.get());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s REPEAT KIND:FILE...\n", argv[0]);
    return 2;
  }
  const int repeat = std::atoi(argv[1]);
  int failed = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() < 3 || arg[1] != ':') {
      std::fprintf(stderr, "not KIND:FILE: %s\n", argv[i]);
      return 2;
    }
    const char kind = arg[0];
    const std::string path = arg.substr(2);
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    long long best = -1;
    bool ok = true;
    for (int r = 0; r < (repeat < 1 ? 1 : repeat); ++r) {
      const auto start = std::chrono::steady_clock::now();
      ok = ParseOnce(text, kind);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - start).count();
      if (best < 0 || ns < best) best = ns;
    }
    failed += ok ? 0 : 1;
    std::printf("%lld\t%d\t%s\n", best, ok ? 1 : 0, path.c_str());
  }
  return failed ? 1 : 0;
}
