-- 01_builtins.lua — Lua's and Redis' own functions as upvalues of the library.
--
-- A Redis function reads a global (redis, string, tonumber, ipairs...) through the
-- library's protected globals table, ~270 machine instructions each time, against ~30 for
-- an upvalue; redis.call alone is two such reads. The library reads them thousands of
-- times per routing cycle, so every file uses these locals instead. They cannot be set
-- while the library loads (a library may not touch globals then): bind() sets them on the
-- first call of any function (90_register.lua), together with the tables of small numbers
-- (DEC, NUM).

local rcall, ssub, sfind, smatch, sgmatch, sbyte, sfmt, slower, tonum, tostr
local tconcat, tsort, unpk, ipairs_, pairs_, mmax, mmin, mfloor, type_, pcall_
local bound = false
-- 0..CAP_MAX+1 as strings and back: loads, capacities and levels without a conversion
-- (sprintf/strtod cost more than most commands here).
local DEC, NUM = {}, {}

local function bind()
    rcall = redis.call
    ssub, sfind, smatch, sgmatch = string.sub, string.find, string.match, string.gmatch
    sbyte, sfmt, slower = string.byte, string.format, string.lower
    tonum, tostr = tonumber, tostring
    tconcat, tsort, unpk = table.concat, table.sort, unpack
    ipairs_, pairs_, type_, pcall_ = ipairs, pairs, type, pcall
    mmax, mmin, mfloor = math.max, math.min, math.floor
    for i = 0, L.CAP_MAX + 1 do
        local d = tostring(i)
        DEC[i], NUM[d] = d, i
    end
    bound = true
end
