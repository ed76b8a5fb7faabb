-- wrk script: POST /v1/ingest/batch with 500 small documents per request.
-- With SLUICE_KEY set, every request carries it (keys on: authentication in the path).
local key = os.getenv("SLUICE_KEY")
-- Usage: wrk -t1 -c1 -d20s --latency -s bench/batch.lua http://127.0.0.1:8080
local request_number = 0

request = function()
  request_number = request_number + 1
  local documents = {}
  for i = 1, 500 do
    documents[i] = string.format(
      '{"meta":{"tenant":"batch","docId":"r%d/doc-%d.md"},"content":"# Note %d\\n\\nA short note about item %d in request %d."}',
      request_number, i, i, i, request_number)
  end
  local body = '{"priority":"normal","documents":[' .. table.concat(documents, ",") .. ']}'
  local headers = {["Content-Type"] = "application/json"}
  if key then headers["Authorization"] = "Bearer " .. key end
  return wrk.format("POST", "/v1/ingest/batch", headers, body)
end
