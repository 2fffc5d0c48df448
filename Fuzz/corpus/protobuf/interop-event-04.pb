
ev-0-ac056cc6be18"3*jœ7Q»