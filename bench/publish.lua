-- wrk script: POST /v1/ingest/publish with small documents, each a distinct docId.
-- With SLUICE_KEY set, every request carries it (keys on: authentication in the path).
local key = os.getenv("SLUICE_KEY")
-- With BENCH_PREFIX set, docIds start with it: several wrk runs at once publish distinct documents.
local prefix = os.getenv("BENCH_PREFIX")
prefix = prefix and (prefix .. "-") or ""
-- Usage: wrk -t2 -c64 -d20s --latency -s bench/publish.lua http://127.0.0.1:8080
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  counter = 0
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"meta":{"tenant":"bench","docId":"%st%d/doc-%d.md","mimeType":"text/markdown"},"content":"# Note %d\\n\\nA short note about item %d and its neighbours."}',
    prefix, id, counter, counter, counter)
  local headers = {["Content-Type"] = "application/json"}
  if key then headers["Authorization"] = "Bearer " .. key end
  return wrk.format("POST", "/v1/ingest/publish", headers, body)
end
