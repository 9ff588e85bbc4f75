#!/bin/sh
# The peer workload for the benchmark: HashiCorp's own formatter over the
# benchmark configuration (what `terraform fmt` costs on the same files), for
# comparison with the plugin's generation time from examples/bench_native.rs.
#   sh plugins/terraform/benches/hcl_format_workload.sh
set -e
root=$(cd "$(dirname "$0")/../../.." && pwd)
out="$root/target/test-output/terraform/bench"
cargo run -q -p kiln-plugin-terraform --release --example bench_native -- 5 "$out.json"
rm -rf "$out"
cargo run -q -p kiln-plugin-terraform --release --example dump -- "$out.json" "$out"
cd "$root/plugins/terraform/tests/node"
start=$(date +%s%N)
node check.mjs "$out" > /dev/null
end=$(date +%s%N)
echo "hashicorp_parse_and_format_s=$(echo "scale=3; ($end - $start) / 1000000000" | bc)"
