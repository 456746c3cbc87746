-- wrk script: POSTs the bytes of $BODY_FILE with Content-Type $CONTENT_TYPE (and bearer
-- $TOKEN when set) on every request.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local headers = { ["Content-Type"] = os.getenv("CONTENT_TYPE") }
local token = os.getenv("TOKEN")
if token and token ~= "" then
  headers["Authorization"] = "Bearer " .. token
end

request = function()
  return wrk.format("POST", nil, headers, body)
end
