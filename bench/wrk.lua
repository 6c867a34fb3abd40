-- Counts non-2xx answers per thread and prints one summary line for bench/load.py.
-- With BENCH_BODIES set, each request POSTs the next line of that file, taken in turn by the
-- threads ("Header: value<TAB>...<TAB>body" per line), so no two requests send the same event.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  sent = 0
  requests_ = {}
  local path = os.getenv("BENCH_BODIES")
  if not path then return end
  local count = tonumber(args[1])
  local n = 0
  for line in io.lines(path) do
    if n % count == thread_id then
      local headers = {}
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
      local body = table.remove(fields)
      for _, header in ipairs(fields) do
        local name, value = string.match(header, "^([^:]+):%s*(.*)$")
        headers[name] = value
      end
      headers["Content-Type"] = "application/json"
      table.insert(requests_, wrk.format("POST", nil, headers, body))
    end
    n = n + 1
  end
end

function request()
  if #requests_ == 0 then return wrk.request() end
  sent = sent + 1
  return requests_[(sent - 1) % #requests_ + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad, sent_total, prepared = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    sent_total = sent_total + thread:get("sent")
  end
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d sent=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, sent_total))
end
