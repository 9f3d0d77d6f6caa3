-- 05_engine.lua — the steps that run in the omniq engine, the Redis module beside this
-- library (engine/, docs/redis-model.md "The engine"), called by their old FCALL names
-- (the table `E`). The library and the engine share one data model; a step moves into the
-- engine whole, and its FCALL name stays as this one call, so every caller keeps working.

local E = {}

-- cmd P ...: the engine's reply, or its OQ_ error raised as the library's own. A Redis
-- without the module gets OQ_ENGINE saying what to load.
local NO_ENGINE = 'this Redis has no omniq engine: load it with '
    .. '`loadmodule /usr/local/lib/omniq/omniq_engine.so` (docs/admin.md)'

local function missing(r)
    return type_(r) == 'table' and r.err and sfind(r.err, 'nknown', 1, true)
        and sfind(r.err, 'command', 1, true)
end

function E.run(cmd, P, ...)
    local r = redis.pcall(cmd, P, ...)
    if type_(r) == 'table' and r.err then
        if missing(r) then U.fail('ENGINE', NO_ENGINE) end
        error(r, 0)
    end
    return r
end

-- The FCALL of a step that runs in the engine whole: the engine's reply or error as it
-- is, with no more Lua than one call (the engine checks the prefix and the arguments).
-- Only a missing engine is turned into the library's OQ_ENGINE.
function E.step(cmd)
    return function(keys, args)
        if not bound then bind() end
        if #keys ~= 1 then
            return redis.error_reply('OQ_ARG exactly one key, the tenant prefix oq:{tenant}')
        end
        local r = redis.pcall(cmd, keys[1], unpk(args))
        if missing(r) then return redis.error_reply('OQ_ENGINE ' .. NO_ENGINE) end
        return r
    end
end
