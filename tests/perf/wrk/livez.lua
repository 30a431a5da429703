-- GET /livez (no authentication, no database).
-- Usage: wrk ... -s livez.lua http://host:port
wrk.method = "GET"
wrk.path = "/livez"
