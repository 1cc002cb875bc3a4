#!/bin/sh
echo "hello ${name}"
%{ for p in ports ~}
open ${p}
%{ endfor ~}
