-- wrk script: POST /v1/ingest/publish with large documents (LARGE_KIB KiB of text each, default 4096),
-- each a distinct docId. With SLUICE_KEY set, every request carries it.
-- Usage: LARGE_KIB=4096 wrk -t1 -c4 -d20s -s bench/large.lua http://127.0.0.1:8080
local key = os.getenv("SLUICE_KEY")
local kib = tonumber(os.getenv("LARGE_KIB") or "4096")
local line = "A long document's line of text, sixty-four bytes, with its end.\\n"
local text = string.rep(line, kib * 1024 / 64)
local counter = 0

request = function()
  counter = counter + 1
  local body = string.format('{"meta":{"tenant":"batch","docId":"large/%d-%d.md"},"content":"%s"}',
    math.random(1, 1000000000), counter, text)
  local headers = {["Content-Type"] = "application/json"}
  if key then headers["Authorization"] = "Bearer " .. key end
  return wrk.format("POST", "/v1/ingest/publish", headers, body)
end
