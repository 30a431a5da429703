-- Soak: authenticated reads mixed with order writes; counts every status and remembers
-- every order the server acknowledged (201), so the runner can look for it in the database.
-- Usage: wrk ... -s soak.lua http://host:port -- <jwt> <product ids> <customer ids> \
--          <write %> <out file>
-- (ids comma-separated). At the end done() writes <out file>, one line each:
--   status <code> <responses>
--   ack <order id> <product id>:<quantity>,...     (from the 201 body)
--   unparsed <responses>                          (201 bodies without an order id)
--
-- Reads, out of 100: 40 product by id, 15 customer by id, 20 product list pages,
-- 10 customer list pages, 15 orders (an order this thread was told about, else the
-- first page of the order list). Orders have 1 to 3 distinct products, quantity 1 to 5.

-- Per thread (globals, so done() can read them with thread:get).
counts = {}
acked = {}
unparsed = 0
out_path = nil

local token, products, customers, write_pct
local get_headers, post_headers
local recent = {}  -- the last order ids this thread saw acknowledged, for read-backs
local RECENT = 64

local function split_ids(csv)
  local ids = {}
  for id in string.gmatch(csv or "", "%d+") do
    ids[#ids + 1] = id
  end
  assert(#ids > 0, "soak.lua: no ids in '" .. tostring(csv) .. "'")
  return ids
end

local function pick(list)
  return list[math.random(#list)]
end

function init(args)
  token = args[1]
  products = split_ids(args[2])
  customers = split_ids(args[3])
  write_pct = tonumber(args[4])
  out_path = args[5]
  assert(token and write_pct and out_path, "soak.lua: missing arguments")
  get_headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }
  post_headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Accept"] = "application/json",
    ["Content-Type"] = "application/json",
  }
  -- Each thread has its own Lua state; seed each differently (a table's address).
  math.randomseed(os.time() + tonumber(string.match(tostring({}), "0x(%x+)") or "0", 16))
end

local function order_body()
  local used, items = {}, {}
  for _ = 1, math.min(math.random(1, 3), #products) do
    local p
    repeat
      p = pick(products)
    until not used[p]
    used[p] = true
    items[#items + 1] = string.format('{"product_id":%s,"quantity":%d}', p, math.random(1, 5))
  end
  return string.format('{"customer_id":%s,"items":[%s]}', pick(customers),
                       table.concat(items, ","))
end

local function get(path)
  return wrk.format("GET", path, get_headers)
end

function request()
  if math.random(100) <= write_pct then
    return wrk.format("POST", "/api/v1/orders", post_headers, order_body())
  end
  local r = math.random(100)
  if r <= 40 then
    return get("/api/v1/products/" .. pick(products))
  elseif r <= 55 then
    return get("/api/v1/customers/" .. pick(customers))
  elseif r <= 75 then
    local offset = math.random(0, math.max(0, #products - 10))
    return get("/api/v1/products?limit=10&offset=" .. offset)
  elseif r <= 85 then
    return get("/api/v1/customers?limit=10&offset=" .. math.random(0, #customers - 1))
  elseif #recent > 0 then
    return get("/api/v1/orders/" .. pick(recent))
  else
    return get("/api/v1/orders?limit=10")
  end
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status ~= 201 then
    return
  end
  local id = body and string.match(body, '^{"id":%s*(%d+)')
  if not id then
    unparsed = unparsed + 1
    return
  end
  local items = {}
  for pid, qty in string.gmatch(body, '"product_id":%s*(%d+),%s*"quantity":%s*(%d+)') do
    items[#items + 1] = pid .. ":" .. qty
  end
  acked[#acked + 1] = id .. " " .. table.concat(items, ",")
  recent[(#acked - 1) % RECENT + 1] = id
end

-- Main state: remember the threads, then gather what each one counted.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local f = assert(io.open(threads[1]:get("out_path"), "w"))
  local total_unparsed = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      f:write("status ", status, " ", n, "\n")
    end
    for _, line in ipairs(thread:get("acked")) do
      f:write("ack ", line, "\n")
    end
    total_unparsed = total_unparsed + thread:get("unparsed")
  end
  f:write("unparsed ", total_unparsed, "\n")
  f:close()
end
