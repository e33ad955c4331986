// The renderer's entry: one Vue app with Pinia, the same in the Electron window and the browser.
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import './styles.css';

createApp(App).use(createPinia()).mount('#app');
