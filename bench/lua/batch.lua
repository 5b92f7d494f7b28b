-- POST /ingest with 500 new mentions per request.
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
  local items = {}
  for i = 1, 500 do
    items[i] = string.format(
      '{"project":"%s","external_id":"b-%s-%d-%d","text":"Acme Cloud is down again, terrible #outage %d"}',
      project, tid, counter, i, i)
  end
  return wrk.format(nil, nil, nil, '{"mentions":[' .. table.concat(items, ",") .. ']}')
end
