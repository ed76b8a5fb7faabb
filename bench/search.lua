-- wrk script: POST /v1/search over tenant-1 with the key in SLUICE_KEY, a different query each time
-- (bench/noisy-neighbours.sh).
local key = os.getenv("SLUICE_KEY")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"tenant":"tenant-1","query":"note about item %d and its neighbours","k":10}', counter)
  return wrk.format("POST", "/v1/search", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
