-- wrk script for bench/run.py: authenticate, stop after a request budget, report JSON.
--
-- BENCH_TOKEN        sent as Coder-Session-Token (the mock answers 401 without it; the bare app
--                    ignores it, and both receive the same request bytes)
-- BENCH_MAX_REQUESTS stop the thread after this many answers (0: only the -d duration bounds it);
--                    (per wrk thread: the run answers at most threads x this many)

wrk.headers["Coder-Session-Token"] = os.getenv("BENCH_TOKEN") or ""

local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "0")
local answered = 0

function response(status, headers, body)
  answered = answered + 1
  if max_requests > 0 and answered >= max_requests then
    wrk.thread:stop()
  end
end

-- One line run.py looks for; latencies are in microseconds, as wrk measures them.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"p50_us":%.0f,"p99_us":%.0f,"max_us":%.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
