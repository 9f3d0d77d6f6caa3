-- tests/redis/clock.lua — the clock the Redis suite loads in place of
-- modules/omniq/lua/00_clock.lua: Redis TIME plus an offset the tests control
-- (harness Server.advance(ms) adds to the key oq:test:clock), so that time passes
-- when a test says so instead of while it sleeps. It still moves with real time,
-- so nothing that relies on time going forward (scores, ids) stands still.

local clock = {}

function clock.now_ms()
    local t = redis.call('TIME')
    local off = tonumber(redis.call('GET', 'oq:test:clock') or '0')
    return string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + off)
end
