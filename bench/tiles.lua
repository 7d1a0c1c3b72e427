-- wrk script: requests the paths listed in a file (one a line), in turn.
--   wrk -t2 -c32 -d10s -s bench/tiles.lua http://127.0.0.1:PORT -- paths.txt
local paths = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  i = math.random(#paths)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
