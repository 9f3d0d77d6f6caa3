"""The omniq engine (engine/, a Redis module) for every redis-server the tests and benchmarks
start: `redis-server ... *loadmodule_args()`. The top-level `make` builds it into
build/engine/omniq_engine.so; OMNIQ_ENGINE names another build (the ASan one)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE = os.environ.get('OMNIQ_ENGINE') or os.path.join(ROOT, 'build', 'engine', 'omniq_engine.so')


def loadmodule_args(test_clock=False):
    """redis-server arguments that load the engine; test_clock: the Redis suite's clock (time
    moves when a test calls Server.advance)."""
    if not os.path.exists(ENGINE):
        raise RuntimeError('no omniq engine at %s: run make first' % ENGINE)
    return ['--loadmodule', ENGINE] + (['testclock'] if test_clock else [])
