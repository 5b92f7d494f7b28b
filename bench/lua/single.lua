-- POST /ingest with one new mention per request (unique external_id per thread and request).
local counter = 0
-- setup() runs in the main state and hands each thread its own id: every thread's Lua state
-- starts with the same math.random sequence, so random ids would collide.
local started = 0
function setup(thread)
  started = started + 1
  thread:set("tid", string.format("%d-%d", os.time(), started))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("SIE_KEY")
local project = os.getenv("SIE_PROJECT")

request = function()
  counter = counter + 1
  local body = string.format(
    '{"project":"%s","external_id":"s-%s-%d","text":"I love Acme Cloud! #bench @acmehelp","source":"twitter"}',
    project, tid, counter)
  return wrk.format(nil, nil, nil, body)
end
