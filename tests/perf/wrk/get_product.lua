-- Authenticated GET /api/v1/products/{id}, cycling over the seeded product ids.
-- Usage: wrk ... -s get_product.lua http://host:port -- <jwt> <id,id,...>
local token, ids = nil, {}
local counter = 0

function init(args)
  token = args[1]
  for id in string.gmatch(args[2] or "1", "%d+") do
    ids[#ids + 1] = id
  end
end

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("GET", "/api/v1/products/" .. id,
                    { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" })
end
