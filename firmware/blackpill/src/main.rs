//! nowcast on a WeAct STM32F411CEU6 "Black Pill" with a Bosch BME280 on I2C1 (SCL PB6, SDA PB7,
//! address 0x76): every sample period the sensor is read (temperature °C, relative humidity %,
//! pressure hPa), the sample goes through the model's `Stepper`, and each forecast is logged
//! with defmt over RTT. A failed reading is fed as NaN, which the stepper fills from the last
//! good value and counts.
//!
//! The model is embedded at build time (see build.rs); its features must be, in order, the
//! three BME280 channels. The sample period comes from the model (1 s if it has none).

#![no_std]
#![no_main]

use bme280::i2c::BME280;
use cortex_m_rt::entry;
use defmt_rtt as _;
use nowcast_app::{Sink, Source};
use nowcast_runtime::{Model, Stepper};
use panic_probe as _;
use stm32f4xx_hal::{
    i2c::{I2c, Mode},
    pac,
    prelude::*,
    rcc::Config,
};

static MODEL: &[u8] = nowcast_runtime::include_model!(concat!(env!("OUT_DIR"), "/model.ncm"));

/// f32 words of stepper state this firmware reserves (the model's `state_len` must fit).
const STATE_WORDS: usize = 4096;

/// The BME280 as a nowcast sample source, one reading per sample period.
struct Bme<I2C, D, T> {
    sensor: BME280<I2C>,
    delay: D,
    timer: T,
    /// Timer ticks (1 s) per sample.
    period_s: u32,
}

impl<I2C, D, T> Source for Bme<I2C, D, T>
where
    I2C: embedded_hal::i2c::I2c,
    D: embedded_hal::delay::DelayNs,
    T: FnMut(),
{
    fn read(&mut self, sample: &mut [f32]) -> bool {
        for _ in 0..self.period_s {
            (self.timer)();
        }
        match self.sensor.measure(&mut self.delay) {
            Ok(m) => {
                let values = [m.temperature, m.humidity, m.pressure / 100.0];
                for (s, v) in sample.iter_mut().zip(values) {
                    *s = v;
                }
            }
            Err(_) => {
                defmt::warn!("BME280 read failed: the sample is missing");
                sample.iter_mut().for_each(|s| *s = f32::NAN);
            }
        }
        true
    }
}

/// Forecasts to the defmt log.
struct Log;

impl Sink for Log {
    fn forecast(&mut self, index: u64, values: &[f32]) {
        defmt::info!("sample {=u64}: forecast {=[?]}", index, values);
    }
}

#[entry]
fn main() -> ! {
    let (Some(dp), Some(cp)) = (pac::Peripherals::take(), cortex_m::Peripherals::take()) else {
        defmt::panic!("peripherals taken twice");
    };
    let mut rcc = dp.RCC.freeze(Config::hse(25.MHz()).sysclk(84.MHz()));
    let gpiob = dp.GPIOB.split(&mut rcc);
    let i2c = I2c::new(
        dp.I2C1,
        (gpiob.pb6, gpiob.pb7),
        Mode::standard(100.kHz()),
        &mut rcc,
    );
    let mut delay = dp.TIM5.delay_us(&mut rcc);
    let mut sensor = BME280::new_primary(i2c);
    if sensor.init(&mut delay).is_err() {
        defmt::panic!("no BME280 at 0x76 on I2C1 (SCL PB6, SDA PB7)");
    }
    let model = match Model::from_bytes(MODEL) {
        Ok(m) => m,
        Err(e) => defmt::panic!("the embedded model does not load: {}", e),
    };
    if model.input_len() != 3 {
        defmt::warn!(
            "the model expects {=usize} inputs; the BME280 gives 3 (temperature, humidity, pressure)",
            model.input_len()
        );
    }
    let mut state = [0.0f32; STATE_WORDS];
    let mut stepper = match Stepper::new(&model, &mut state) {
        Ok(s) => s,
        Err(e) => defmt::panic!("no stepper: {}", e),
    };
    let mut tick = cp.SYST.counter_us(&rcc.clocks);
    if tick.start(1.secs()).is_err() {
        defmt::panic!("SysTick timer");
    }
    let period_s = (model.sample_period_ms() / 1000).clamp(1, u32::MAX as u64) as u32;
    defmt::info!(
        "nowcast: {=usize} inputs, sample every {=u32} s",
        model.input_len(),
        period_s
    );
    let mut source = Bme {
        sensor,
        delay,
        timer: || {
            let _ = nb::block!(tick.wait());
        },
        period_s,
    };
    let mut sample = [0.0f32; 3];
    let n = model.input_len().min(3);
    match nowcast_app::run(&mut stepper, &mut source, &mut Log, &mut sample[..n]) {
        Ok(samples) => defmt::info!("source ended after {=u64} samples", samples),
        Err(e) => defmt::error!("step failed: {}", e),
    }
    loop {
        cortex_m::asm::wfi();
    }
}
