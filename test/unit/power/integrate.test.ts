import { strict as assert } from 'node:assert';
import { Coverage, CounterIntegrator, IntervalIntegrator, TrapezoidIntegrator } from '../../../shared/src/power/integrate';

describe('power/integrate', () => {
  it('differences a µJ counter and corrects a wrap-around with max_energy_range_uj', () => {
    const counter = new CounterIntegrator(1e-6, 1000, 1_000_000);
    counter.add(900_000, 0);
    counter.add(950_000, 1000); // +0.05 J
    assert.ok(Math.abs(counter.energyJ - 0.05) < 1e-12);
    counter.add(50_000, 2000); // wrapped: 50_000 + (1_000_000 - 950_000) = 100_000 µJ
    assert.ok(counter.wrapped);
    assert.ok(Math.abs(counter.energyJ - 0.15) < 1e-12);
    assert.ok(Math.abs((counter.lastWatts ?? 0) - 0.1) < 1e-12);
  });

  it('treats a decrease without a known range as a reset, adding nothing', () => {
    const counter = new CounterIntegrator(1e-3, 1000);
    counter.add(5000, 0);
    counter.add(1000, 1000);
    assert.equal(counter.energyJ, 0);
    assert.equal(counter.lastWatts, null);
  });

  it('integrates power samples by trapezoids on monotonic time', () => {
    const power = new TrapezoidIntegrator(1000);
    power.add(100, 0);
    power.add(200, 1000); // 150 J
    power.add(200, 2000); // 200 J
    assert.equal(power.energyJ, 350);
    assert.equal(power.fraction(2000), 1);
  });

  it('does not bridge a gap longer than three periods and lowers coverage', () => {
    const power = new TrapezoidIntegrator(1000);
    power.add(100, 0);
    power.add(100, 1000); // 100 J
    power.add(100, 6000); // 5 s gap > 3 periods: left out
    power.add(100, 7000); // 100 J
    assert.equal(power.energyJ, 200);
    assert.ok(Math.abs(power.fraction(7000) - 2 / 7) < 1e-9);
  });

  it('breaks the trapezoid chain at an unavailable reading', () => {
    const power = new TrapezoidIntegrator(1000);
    power.add(100, 0);
    power.add(null, 1000);
    power.add(100, 2000);
    power.add(100, 3000);
    assert.equal(power.energyJ, 100);
  });

  it('counts trailing silence longer than three periods as missing', () => {
    const coverage = new Coverage(1000);
    coverage.mark(0);
    coverage.mark(1000);
    assert.equal(coverage.fraction(3500), 1);
    assert.ok(Math.abs(coverage.fraction(11_000) - 1000 / 11_000) < 1e-9);
  });

  it('integrates interval averages as rectangles', () => {
    const average = new IntervalIntegrator(1000, 0);
    average.add(50, 1000);
    average.add(null, 2000);
    average.add(10, 2500);
    assert.equal(average.energyJ, 55);
  });
});
