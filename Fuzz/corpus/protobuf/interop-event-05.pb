
ev-1-25317b885975Ñ"c•ªJÚA"fraud*fmcº0ÀKIúUWFĞwŸÂAœpÃŞ¤l¹2a	b254112Ã¼ber