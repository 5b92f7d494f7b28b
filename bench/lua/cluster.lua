-- single.lua's one-mention POST /ingest, plus p50/p95/p99 (microseconds) for bench/cluster.py.
dofile(os.getenv("SIE_LUA_DIR") .. "/single.lua")

function done(summary, latency, requests)
  io.write(string.format("PCT %d %d %d\n", latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
