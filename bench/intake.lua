-- wrk script: counter intake of a certified-copy dossier (procedure 2.000815, its one required
-- document on paper, 3 pages,
-- assessed at intake: 5,000 VND) with a distinct applicant per request. TOKENS:
-- comma-separated bearer tokens of reception officers; requests rotate over them (one token = one commune, the worst case: its
-- intakes queue on the commune's daily counter row).
local n = 0
local tokens = {}
for t in string.gmatch(os.getenv("TOKENS") or os.getenv("TOKEN") or "", "[^,]+") do
  tokens[#tokens + 1] = t
end

function setup(thread)
  thread:set("offset", math.random(0, 499999))
end

request = function()
  n = n + 1
  local id = string.format("025190%06d", ((offset or 0) + n) % 1000000)
  local body = '{"procedure_code":"2.000815","applicant":{"type":"citizen","full_name":"Nguyễn Văn Thử",' ..
    '"id_number":"' .. id .. '","phone":"0912345678","address":"Thôn Bo, xã Kim Bôi"},"components":[{"document":"Bản chính giấy tờ văn bản làm cơ sở để chứng thực bản sao","source":"paper"}],' ..
    '"fees":{"quantities":{"page":3,"copy":1}}}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1],
  }
  return wrk.format("POST", "/api/v1/dossiers", headers, body)
end
