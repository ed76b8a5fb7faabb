-- wrk script: POST /v1/search over tenant-1 with the key in SLUICE_KEY, a different query each time
-- (bench/noisy-neighbours.sh).
local key = os.getenv("SLUICE_KEY")
-- With SEARCH_FILTER set, an attribute filter no document matches.
local filter = os.getenv("SEARCH_FILTER") and ',"filter":{"attributes":{"nope":"x"}}' or ''
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"tenant":"tenant-1","query":"note about item %d and its neighbours","k":10%s}', counter, filter)
  return wrk.format("POST", "/v1/search", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
