-- 10_first.lua - the fixture of tests/redis/test_lua_coverage.py, not part of omniq. Each
-- line that must get a counter ends with "-->" and what it must count after the test's one
-- call: the line's count, then "| <kind> <times true>/<times false>" for each condition or
-- short circuit on it. A line's count is that of its most counted statement or condition (a
-- condition counts each time it is decided); the top-level statements run once, when Redis
-- loads the library.
local LIMIT = 3 --> 1
local NOTE = 'a' .. --> 1
    [[ if this were code, then return
end ]] .. "-- not a comment"

local function classify(n) --> 1
    if n < 0 then return 'negative' --> 4 | if 1/3
    elseif n == 0 then --> 3 | elseif 1/2
        return 'zero' --> 1
    end
    local size = n > LIMIT and 'big' --> 2 | and 1/1
        or 'small' --> 2 | or 1/1
    return size --> 2
end

local function sum_to(n) --> 1
    local total, i = 0, 1 --> 2
    while i <= n do total = total + i; i = i + 1 end --> 5 | while 3/2
    repeat --> 2
        total = total * 2 --> 2
    until total > 1 or n == 0 --> 2 | until 2/0 | or 1/1
    while true do --> 2
        if total >= 0 then break end --> 2 | if 2/0
    end
    return total --> 2
end
