-- wrk script: guest bookings, each request a different free slot. The slots file has one
-- "START STAFF_ID" per line; thread k of n takes lines k, k+n, k+2n, … so no two requests
-- ask for the same slot. Cookie and CSRF token come from the environment (one page session).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  slots = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_SLOTS")) do
    if i % nthreads == id then
      table.insert(slots, line)
    end
    i = i + 1
  end
  next_slot = 1
  headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = os.getenv("BENCH_COOKIE"),
    ["X-CSRF-Token"] = os.getenv("BENCH_CSRF"),
  }
  path = os.getenv("BENCH_PATH")
end

function request()
  local line = slots[next_slot]
  next_slot = next_slot + 1
  local start, staff = line:match("(%S+) (%S+)")
  local body = string.format(
    '{"service":"walk","start":"%s","staff_id":%s,"guest":{"name":"Guest","email":"guest%d@bench.example","phone":"0123"}}',
    start, staff, next_slot)
  return wrk.format("POST", path, headers, body)
end
