-- 20_second.lua - the fixture's second file (see 10_first.lua): its counters follow the
-- first file's, its line numbers are its own, and it uses the first file's locals.
local shapes = { --> 1
    square = function(s) return s * s end, --> 2
    named = {'a', "b -- c", [3] = 'd'},
}
local Acc = {} --> 1
function Acc:add(...) --> 1
    for _, v in ipairs({...}) do self.n = self.n + v end --> 3
    return self --> 2
end

local function fixture_run(keys, args) --> 1
    local acc = setmetatable({n = 0}, {__index = Acc}) --> 1
    acc:add(1, 2):add(3) --> 1
    local out = {classify(-1), classify(0), classify(2), classify(5)} --> 1
    for i = 1, 2 do --> 1
        out[#out + 1] = tostring(shapes.square(i)) --> 2
    end
    out[#out + 1] = tostring(sum_to(3) + sum_to(0) + acc.n) --> 1
    if not args[1] or args[1] == '' then out[#out + 1] = NOTE end --> 1 | if 1/0 | or 1/0
    return out --> 1
end

redis.register_function('cov_fixture', fixture_run) --> 1
