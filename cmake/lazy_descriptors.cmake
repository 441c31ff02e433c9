# cmake -DIN=x.pb.cc -DOUT=y.pb.cc -P lazy_descriptors.cmake
#
# Copies a protoc-generated x.pb.cc without its static AddDescriptorsRunner,
# the initializer that registers the file's descriptors with the generated
# pool at process start-up (protobuf 3.21; about a third of a CLI call's
# instructions). Protobuf then registers them on first use instead:
# AssignDescriptors() calls AddDescriptors() for the file and its imports
# when reflection first touches a message or enum (JSON output, *_Name()).
# Lookups by name in the generated pool before any use would not find the
# file; the CLI does none. If the pattern is not found (another protobuf),
# the copy is unchanged and merely registers eagerly.
file(READ "${IN}" text)
string(REGEX REPLACE
  "[^\n]*static ::_pbi::AddDescriptorsRunner dynamic_init_dummy_[^\n]*\n"
  "" text "${text}")
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
