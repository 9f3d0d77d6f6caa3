-- 00_clock.lua — the library's one clock: Redis TIME in milliseconds, so that every node
-- and every process reads the same time. Every deadline, score and timestamp comes from
-- now_ms() and nowhere else.
--
-- Its own file so that the tests can swap it: tests/redis/harness.py loads the library
-- with tests/redis/clock.lua in this file's place, a clock that the tests move forward
-- instead of sleeping (offers lapsing, wrap-ups ending, affinity windows closing). Both
-- files define exactly now_ms(); nothing else may differ.

local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
