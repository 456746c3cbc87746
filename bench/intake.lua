-- wrk script: counter intake of a certified-copy dossier (procedure 2.000815) with a
-- distinct applicant per request. The token comes from the TOKEN environment variable.
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

request = function()
  n = n + 1
  local id = string.format("025190%06d", n % 1000000)
  local body = '{"procedure_code":"2.000815","applicant":{"type":"citizen","full_name":"Nguyễn Văn Thử",' ..
    '"id_number":"' .. id .. '","phone":"0912345678","address":"Thôn Bo, xã Kim Bôi"},"components":[]}'
  return wrk.format(nil, "/api/v1/dossiers", nil, body)
end
