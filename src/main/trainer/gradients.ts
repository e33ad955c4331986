// tfjs-core's gradient functions are not in its Node build, and its ESM sources cannot be
// loaded by Node (extensionless imports). The union package's Node bundle registers them all
// against the one shared engine, so importing it for that side effect is what makes tf.grads
// work here. (tfjs-node-gpu depends on the same package.)
import '@tensorflow/tfjs';
