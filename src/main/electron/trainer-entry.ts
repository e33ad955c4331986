// The trainer in an Electron utility process. The trainer speaks child_process IPC
// (process.send, process.on('message')); a utility process has process.parentPort instead.
// Adapt one to the other, then start the same trainer.
export {};

const port = (process as unknown as { parentPort?: Electron.ParentPort }).parentPort;
if (!port) throw new Error('the utility trainer entry must run in an Electron utility process');

const proc = process as unknown as {
  send: (message: unknown, _h?: unknown, _o?: unknown, callback?: (err: Error | null) => void) => boolean;
  connected: boolean;
  disconnect: () => void;
};
proc.connected = true;
proc.send = (message, _h, _o, callback) => {
  port.postMessage(message);
  callback?.(null);
  return true;
};
// The trainer disconnects when its run is over; the utility process then ends.
proc.disconnect = () => {
  proc.connected = false;
  setImmediate(() => process.exit(0));
};
port.on('message', (e: Electron.MessageEvent) => {
  (process as unknown as NodeJS.EventEmitter).emit('message', e.data);
});

await import('../trainer/process');
