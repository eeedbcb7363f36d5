-- wrk script: POSTs the JSON batches in BODIES_DIR (body-000.json, body-001.json, ...) in turn to
-- the URL wrk was given; every thread starts at a different body.
local dir = os.getenv("BODIES_DIR")
local count = tonumber(os.getenv("BODIES") or "50")
local bodies = {}
for i = 0, count - 1 do
  local f = assert(io.open(string.format("%s/body-%03d.json", dir, i), "rb"))
  bodies[i + 1] = f:read("*a")
  f:close()
end

local next_body = 1
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("start", threads * 7)
end

function init(args)
  next_body = (start % count) + 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[next_body]
  next_body = (next_body % count) + 1
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    error("status " .. status .. ": " .. body)
  end
end
