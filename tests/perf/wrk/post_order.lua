-- Authenticated POST /api/v1/orders with a fixed JSON body.
-- Usage: wrk ... -s post_order.lua http://host:port -- <jwt> '<json body>'
function init(args)
  wrk.method = "POST"
  wrk.path = "/api/v1/orders"
  wrk.body = args[2]
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end
