// Preloaded into the Parley server by bench.mjs --profile (`node --require cpu-profile-probe.cjs
// backend/dist/main.js`, with an IPC channel): starts and stops V8's sampling CPU profiler on
// request, so the profile covers the measured window only (no start-up, no warm-up).
//   {type:'profile-start'} → {type:'profile-started'};
//   {type:'profile-stop', file} → writes the .cpuprofile to `file` → {type:'profile-written'}.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');

if (process.send) {
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  process.on('message', async (message) => {
    try {
      if (message?.type === 'profile-start') {
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 100 });
        await post('Profiler.start');
        process.send({ type: 'profile-started' });
      } else if (message?.type === 'profile-stop') {
        const { profile } = await post('Profiler.stop');
        writeFileSync(message.file, JSON.stringify(profile));
        process.send({ type: 'profile-written' });
      }
    } catch (error) {
      process.send({ type: 'profile-error', message: String(error) });
    }
  });
  process.channel?.unref();
}
