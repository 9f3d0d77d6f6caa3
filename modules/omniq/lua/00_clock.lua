-- 00_clock.lua — the library's one clock: Redis TIME in milliseconds, so that every node
-- and every process reads the same time. Every deadline, score and timestamp comes from
-- clock.now_ms() and nowhere else (the one exception: the age of P:events' entries, whose
-- ids Redis makes from TIME itself, X.trim_events). It returns the time as a decimal string (what is
-- written to Redis), made from TIME's own strings without a number conversion: turning a
-- number into a string costs a Redis function more than most of its commands do.
--
-- Its own file so that the tests can swap it: tests/redis/harness.py loads the library
-- with tests/redis/clock.lua in this file's place, a clock that the tests move forward
-- instead of sleeping (offers lapsing, wrap-ups ending, affinity windows closing). Both
-- files define exactly the table `clock` with now_ms(); nothing else may differ.
--
-- How the library is laid out: gen_lualib.sh joins this file, the limits generated from
-- limits.def (the table L) and the other lua/*.lua files in name order into one Redis
-- function library. Each file keeps what it defines in one table of its own (U, V, X, C,
-- A, W, R, S...), so that the joined chunk has a handful of top-level locals (Lua allows
-- 200 per function; tests/redis/test_library.py fails long before that).

local clock = {}

function clock.now_ms()
    local t = redis.call('TIME')
    local us = t[2]
    if #us < 6 then us = string.sub('00000' .. us, -6) end
    return t[1] .. string.sub(us, 1, 3)
end
