-- wrk script: GET /v1/tenants/tenant-1/progress with the key in SLUICE_KEY (bench/noisy-neighbours.sh).
local key = os.getenv("SLUICE_KEY")
request = function()
  return wrk.format("GET", "/v1/tenants/tenant-1/progress", {["Authorization"] = "Bearer " .. key})
end
