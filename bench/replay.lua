-- wrk script: sends each line of the file $LINES once ("<path>\t<json body>"), split
-- between wrk's THREADS (default 2, as -t2); after the last line a thread repeats its lines (those requests
-- answer 4xx and show as Non-2xx: size the file for the run). TOKEN: optional bearer.
local count = 0
local lines = {}

function setup(thread)
  thread:set("id", count)
  count = count + 1
end

function init(args)
  local threads = tonumber(os.getenv("THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("LINES")) do
    if i % threads == (id or 0) then
      lines[#lines + 1] = line
    end
    i = i + 1
  end
  n = 0
end

request = function()
  n = n + 1
  local line = lines[((n - 1) % #lines) + 1]
  local tab = string.find(line, "\t", 1, true)
  local headers = { ["Content-Type"] = "application/json" }
  local token = os.getenv("TOKEN")
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("POST", string.sub(line, 1, tab - 1), headers, string.sub(line, tab + 1))
end
