/** Entry point of the browser bundle: defines the custom elements; index.html places <parley-app>. */
import './app/parley-app.js';
